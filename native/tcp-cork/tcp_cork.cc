// The file descriptor behind a uWS HttpResponse, and TCP_CORK on it (Linux).
//
// uWS v20.30 sends each piece of a 101 it writes outside its own cork as a separate TCP segment
// (20 per handshake); an upgrade after an await must run outside that cork (see
// src/transport/ws/cork-anchor.ts). With the kernel's TCP_CORK set around the upgrade, the pieces
// leave as one segment. uWS.js keeps the HttpResponse* in internal field 0 of the response
// object; a uSockets socket begins with its poll, which on uWS.js's libuv backend is
// { uv_poll_t *uv_p; int fd; unsigned char poll_type; }. That layout belongs to the build: the
// caller verifies it on a connection it made itself before relying on it, and fdOf() returns -1
// for anything that is not a connected TCP stream socket.
#include <node.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <linux/tcp.h>  // tcp_info with tcpi_segs_out (glibc's copy predates it)
#include <sys/socket.h>

namespace {

using v8::FunctionCallbackInfo;
using v8::Int32;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::Value;

// fd if it is a connected TCP socket (not a listener, not a file, not another protocol), else -1.
int connectedTcp(int fd) {
  if (fd < 0) return -1;
  int protocol = 0, listening = 0;
  socklen_t len = sizeof(protocol);
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 || protocol != IPPROTO_TCP) return -1;
  len = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening) return -1;
  struct sockaddr_storage peer;
  len = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<struct sockaddr *>(&peer), &len) != 0) return -1;
  return fd;
}

// fdOf(res): the descriptor of a live uWS HttpResponse, or -1. Only for uWS's response objects:
// internal field 0 of anything else is read as a pointer all the same.
void FdOf(const FunctionCallbackInfo<Value> &args) {
  Isolate *isolate = args.GetIsolate();
  int fd = -1;
  if (args.Length() >= 1 && args[0]->IsObject()) {
    Local<Object> obj = args[0].As<Object>();
    if (obj->InternalFieldCount() >= 1) {
      const char *socket = static_cast<const char *>(obj->GetAlignedPointerFromInternalField(0));
      if (socket) {
        int32_t descriptor;
        std::memcpy(&descriptor, socket + sizeof(void *), sizeof(descriptor));
        fd = connectedTcp(descriptor);
      }
    }
  }
  args.GetReturnValue().Set(Int32::New(isolate, fd));
}

// The descriptor given as argument 0, or -1 (which every call below fails on, as the kernel does).
int fdArg(const FunctionCallbackInfo<Value> &args) {
  return args.Length() >= 1 && args[0]->IsInt32() ? args[0].As<Int32>()->Value() : -1;
}

// setCork(fd, on): 0, or the errno of setsockopt.
void SetCork(const FunctionCallbackInfo<Value> &args) {
  Isolate *isolate = args.GetIsolate();
  int on = args.Length() >= 2 && args[1]->BooleanValue(isolate) ? 1 : 0;
  int result = setsockopt(fdArg(args), IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0 ? 0 : errno;
  args.GetReturnValue().Set(Int32::New(isolate, result));
}

// peerPort(fd): the remote port of a connected socket, or -1 (to verify fdOf on a known connection).
void PeerPort(const FunctionCallbackInfo<Value> &args) {
  Isolate *isolate = args.GetIsolate();
  int port = -1;
  struct sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  if (getpeername(fdArg(args), reinterpret_cast<struct sockaddr *>(&addr), &len) == 0) {
    if (addr.ss_family == AF_INET) port = ntohs(reinterpret_cast<struct sockaddr_in *>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) port = ntohs(reinterpret_cast<struct sockaddr_in6 *>(&addr)->sin6_port);
  }
  args.GetReturnValue().Set(Int32::New(isolate, port));
}

// segmentsOut(fd): TCP segments the socket has sent (tcp_info), or -1.
void SegmentsOut(const FunctionCallbackInfo<Value> &args) {
  Isolate *isolate = args.GetIsolate();
  struct tcp_info info;
  socklen_t len = sizeof(info);
  std::memset(&info, 0, sizeof(info));
  double segments = getsockopt(fdArg(args), IPPROTO_TCP, TCP_INFO, &info, &len) == 0 ? static_cast<double>(info.tcpi_segs_out) : -1.0;
  args.GetReturnValue().Set(v8::Number::New(isolate, segments));
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  NODE_SET_METHOD(exports, "fdOf", FdOf);
  NODE_SET_METHOD(exports, "setCork", SetCork);
  NODE_SET_METHOD(exports, "peerPort", PeerPort);
  NODE_SET_METHOD(exports, "segmentsOut", SegmentsOut);
}
