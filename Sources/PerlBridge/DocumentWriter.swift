import CPerl
import LambdaWire

/// Error documents are written by LambdaWire's `ErrorDocument` only: the C shim (its own errors) and Host.pm (a
/// handler's `die`) hand type, message and frames over through this writer instead of building the shape again.
enum DocumentWriter {
    /// Installs the writer (once, before any interpreter runs).
    static let installed: Void = {
        cperl_set_document_writer { type, typeLength, message, messageLength, frames, frameLengths, frameCount, out in
            func text(_ p: UnsafePointer<CChar>?, _ n: Int) -> String {
                guard let p, n > 0 else { return "" }
                return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
            }
            var stack: [String] = []
            for i in 0..<frameCount { stack.append(text(frames?[i], Int(frameLengths?[i] ?? 0))) }
            let doc = ErrorDocument(type: text(type, typeLength), message: text(message, messageLength), stackTrace: stack)
            let bytes = doc.bytes
            bytes.withUnsafeBufferPointer { cperl_buf_append(out, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
        }
    }()
}
