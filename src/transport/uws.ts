// The only import of uWebSockets.js. The package falls back to a slow pure-JS copy when no native
// binary matches this Node build; that must never happen silently, so loading refuses to go on
// unless the App constructor is native code.
import uWS from 'uWebSockets.js';

export type {
  HttpRequest,
  HttpResponse,
  RecognizedString,
  TemplatedApp,
  WebSocket,
  WebSocketBehavior,
  us_listen_socket,
  us_socket_context_t,
} from 'uWebSockets.js';

export class NativeBindingError extends Error {
  override readonly name = 'NativeBindingError';
  readonly code = 'uws_not_native';
}

/** True when uWS.App is implemented in C++ (a native addon), false for the JS fallback. */
export function isNativeUws(mod: unknown = uWS): boolean {
  const app = (mod as { App?: unknown } | undefined)?.App;
  return typeof app === 'function' && /\[native code\]/.test(Function.prototype.toString.call(app));
}

export function loadUws(): typeof uWS {
  if (!isNativeUws(uWS)) {
    throw new NativeBindingError(
      `uWebSockets.js has no native binary for Node ${process.version} (ABI ${process.versions.modules}, ` +
        `${process.platform}-${process.arch}) and would run on its pure-JS fallback; refusing to start. ` +
        'Use a Node version the installed uWebSockets.js build supports (see README, "uWebSockets.js binary").',
    );
  }
  return uWS;
}
