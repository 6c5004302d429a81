// Media: multipart upload (streamed) and signed downloads.
import type { MediaService } from '../../media/service.js';
import * as r from '../../protocol/rest/replies.js';
import { decodeSegments } from '../http/path.js';
import type { Reply } from '../http/reply.js';
import type { Route } from '../http/router.js';
import type { Kit } from './kit.js';

export function mediaRoutes(media: MediaService, kit: Kit): Route[] {
  return [
    kit.authed(
      'POST',
      '/api/chat/upload-media',
      async (ctx, me) => {
        const result = await media.upload(me, ctx.stream(), ctx.headers['content-type'] ?? '', Number(ctx.headers['content-length'] ?? 0));
        return { status: 201, body: result };
      },
      {
        body: 'stream',
        doc: {
          summary: 'Upload a file for a conversation; then send a socket `media` frame with the reply\'s file_url',
          form: r.UploadForm,
          responses: { 201: r.UploadReply },
        },
      },
    ),
    {
      method: 'GET',
      path: '/media/*',
      doc: {
        summary: 'A stored file, by signed link (exp and sig from file_url)',
        auth: 'none',
        responses: {
          200: { description: 'the file', contentType: 'application/octet-stream' },
          302: { description: 'a link to the object store', headers: { location: 'where the file is' } },
        },
      },
      handler: async (ctx): Promise<Reply> => {
        const key = decodeSegments(ctx.params['*']!, 'path').join('/');
        const found = await media.serve(key, ctx.query.get('exp') ?? '', ctx.query.get('sig') ?? '');
        if ('redirect' in found) return { status: 302, headers: { location: found.redirect, 'cache-control': 'private, max-age=60' } };
        const o = found.object;
        const inline = /^(image|audio|video)\//.test(o.contentType) || o.contentType === 'application/pdf';
        return {
          status: 200,
          stream: { body: o.stream, size: o.size, contentType: o.contentType },
          headers: {
            'cache-control': 'private, max-age=300',
            'x-content-type-options': 'nosniff',
            'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${found.filename}"`,
          },
        };
      },
    },
  ];
}
