import Foundation
import LambdaWire
import NIOCore

/// Function error documents as runtimes post them: `{"errorMessage","errorType","stackTrace"}`, or anything.
enum ErrorBody {
    /// The error type (the header wins, then the body's `errorType`) and a body that is always a JSON document.
    static func normalize(headerType: String?, body: ByteBuffer) -> (type: String, body: ByteBuffer) {
        let object = jsonObject(body)
        let bodyType = object?["errorType"] as? String
        let type = [headerType, bodyType].compactMap { $0 }.first { !$0.isEmpty } ?? "Runtime.Unknown"
        if object != nil { return (type, body) }
        let text = String(buffer: body)
        let doc = ErrorDocument(type: type, message: text.isEmpty ? "Unknown error" : text)
        return (type, ByteBuffer(bytes: doc.bytes))
    }

    /// `errorMessage` of a document, else its text.
    static func message(_ body: ByteBuffer) -> String {
        if let m = jsonObject(body)?["errorMessage"] as? String { return m }
        return String(buffer: body)
    }

    static func jsonObject(_ body: ByteBuffer) -> [String: Any]? {
        guard body.readableBytes > 0, let bytes = body.getBytes(at: body.readerIndex, length: body.readableBytes) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) as? [String: Any]
    }
}
