import CPerl

/// Adapts a `PerlStreamSink` to the C shim's callback table for the duration of one invocation.
final class StreamBridge {
    let sink: PerlStreamSink
    init(_ sink: PerlStreamSink) { self.sink = sink }

    func withCallbacks<R>(_ body: (UnsafePointer<cperl_stream_callbacks>) -> R) -> R {
        var callbacks = cperl_stream_callbacks()
        callbacks.context = Unmanaged.passUnretained(self).toOpaque()
        callbacks.start = { ctx, type, len in
            let me = Unmanaged<StreamBridge>.fromOpaque(ctx!).takeUnretainedValue()
            let contentType = String(decoding: UnsafeRawBufferPointer(start: type, count: len), as: UTF8.self)
            return (try? me.sink.start(contentType: contentType)) != nil ? 0 : 1
        }
        callbacks.write = { ctx, bytes, len in
            let me = Unmanaged<StreamBridge>.fromOpaque(ctx!).takeUnretainedValue()
            return (try? me.sink.write(UnsafeRawBufferPointer(start: bytes, count: len))) != nil ? 0 : 1
        }
        callbacks.finish = { ctx, type, body, len in
            let me = Unmanaged<StreamBridge>.fromOpaque(ctx!).takeUnretainedValue()
            let error = type.map { t in
                (type: String(cString: t), document: Array(UnsafeRawBufferPointer(start: body, count: len)))
            }
            return (try? me.sink.finish(error: error)) != nil ? 0 : 1
        }
        return withExtendedLifetime(self) { withUnsafePointer(to: &callbacks) { body($0) } }
    }
}
