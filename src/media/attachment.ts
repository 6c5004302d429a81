// What a staff `media` frame may attach. The frame names a file by the URL the upload answered
// with; it is accepted only if
//  - the URL is one we signed (our base URL, a valid signature) and has not expired: an expired
//    link is refused, never re-signed, so a leaked old link cannot be turned into a fresh one;
//  - it names an upload made for this very conversation (media_objects.conversation_id), which
//    also keeps it within the hotel and department the uploader was allowed;
// and the message type is the kind found in the file's bytes at upload. The frame's `file_type`
// and `filename` are the client's labels: they are not trusted, the upload's values are used.
import type { MediaType } from '../core/chat.js';
import { ValidationError } from '../core/errors.js';
import type { Db } from '../store/db.js';
import { findMediaObject } from '../store/media.js';
import type { MediaSigner } from './signer.js';

export interface Attachment {
  key: string;
  kind: MediaType;
  filename: string;
  contentType: string;
}

/** The message type of a stored object, from the content type its bytes were sniffed as. */
export function mediaKindOf(contentType: string): MediaType {
  const top = contentType.split('/')[0];
  return top === 'image' || top === 'video' || top === 'audio' ? top : 'document';
}

export async function attachmentFor(deps: { sql: Db; signer: MediaSigner }, conversationId: number, fileUrl: string): Promise<Attachment> {
  const ref = deps.signer.keyOf(fileUrl);
  if (!ref) throw ValidationError.of({ file_url: 'must be a link this server signed (the file_url answered by POST /api/chat/upload-media/)' });
  if (ref.expired) throw ValidationError.of({ file_url: 'has expired; upload the file again' });
  const object = await findMediaObject(deps.sql, ref.key);
  if (!object || object.conversation_id !== conversationId) throw ValidationError.of({ file_url: 'is not a file uploaded for this conversation' });
  return { key: object.key, kind: mediaKindOf(object.content_type), filename: object.filename, contentType: object.content_type };
}
