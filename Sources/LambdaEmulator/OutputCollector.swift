import NIOCore

/// Reads one of a runtime's output pipes and hands it on line by line. A partial last line is kept until
/// its newline arrives, the pipe closes, or the environment flushes it at the end of an invocation.
final class OutputCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// A line longer than this is passed on in pieces.
    static let maxLineBytes = 256 * 1024

    let fd: Int32
    private(set) var isOpen = true
    private var partial: [UInt8] = []
    private let onLine: (String) -> Void

    init(fd: Int32, onLine: @escaping (String) -> Void) {
        self.fd = fd
        self.onLine = onLine
    }

    /// Bytes still in the kernel pipe, not yet read (0 once closed).
    var pendingBytes: Int { isOpen ? ChildProcess.pendingBytes(fd) : 0 }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { raw in
            var start = raw.startIndex
            for i in raw.indices where raw[i] == UInt8(ascii: "\n") {
                if partial.isEmpty {
                    emit(raw[start..<i])
                } else {
                    partial += raw[start..<i]
                    emit(partial[...])
                    partial.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            if start < raw.endIndex { partial += raw[start...] }
        }
        if partial.count > Self.maxLineBytes { flush() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        flush()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Emits a pending partial line.
    func flush() {
        guard !partial.isEmpty else { return }
        emit(partial[...])
        partial.removeAll(keepingCapacity: true)
    }

    private func emit<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var line = String(decoding: bytes, as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        onLine(line)
    }
}
