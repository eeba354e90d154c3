// libFuzzer target: the handler grammar (LambdaWire's HandlerName), which every command and the bootstrap parse
// user input with. Any string: parsing never crashes, and what it accepts keeps the grammar's promises (the file
// and function put back together give the text; a .psgi handler is its own file; FILE has no dot, is not
// absolute; a FILE.FUNCTION handler's file is one `loads` recognises). Built by scripts/fuzz.sh.
import LambdaWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandlerName(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let h = try? HandlerName(parsing: text) else { return 0 }
    precondition(h.text == text && h.description == text, "the handler keeps its text")
    precondition(!h.file.isEmpty, "a file to load")
    _ = h.path(inTaskRoot: "/var/task")
    if let function = h.function {
        precondition(!h.isPSGI && !function.isEmpty && h.file.hasSuffix(".pl"), "FILE.FUNCTION loads FILE.pl")
        let stem = h.file.dropLast(3)
        precondition(!stem.isEmpty && !stem.contains(".") && !stem.hasPrefix("/"), "FILE: no dot, relative")
        precondition("\(stem).\(function)" == text, "file and function give the text back")
        precondition(HandlerName.loads(h.file), "loads() recognises the file a handler loads")
        precondition(h.relativeFile == h.file)
    } else {
        precondition(h.isPSGI && h.file == text && text.hasSuffix(".psgi"), "a .psgi handler is its file")
    }
    return 0
}
