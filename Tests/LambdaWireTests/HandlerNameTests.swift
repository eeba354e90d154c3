import LambdaWire
import Testing

@Suite("HandlerName: the one handler grammar")
struct HandlerNameTests {
    @Test(arguments: [
        ("handler.handle", "handler.pl", "handle"),
        ("lib/api.run", "lib/api.pl", "run"),
        ("handler.My::App::handle", "handler.pl", "My::App::handle"),
        // the first dot splits: FILE has no dot, FUNCTION keeps the rest
        ("v2.x.handle", "v2.pl", "x.handle"),
    ])
    func fileFunction(_ text: String, _ file: String, _ function: String) throws {
        let h = try HandlerName(parsing: text)
        #expect(h.text == text && h.description == text)
        #expect(h.file == file)
        #expect(h.function == function)
        #expect(!h.isPSGI)
        #expect(h.relativeFile == file)
        #expect(h.path(inTaskRoot: "/var/task") == "/var/task/" + file)
        #expect(h.path(inTaskRoot: "/var/task/") == "/var/task/" + file)
    }

    @Test func packageQualified() throws {
        #expect(try HandlerName(parsing: "handler.My::App::handle").isPackageQualified)
        #expect(try !HandlerName(parsing: "handler.handle").isPackageQualified)
        #expect(try !HandlerName(parsing: "app.psgi").isPackageQualified)
    }

    @Test(arguments: ["app.psgi", "web/app.psgi", "a.b.psgi"])
    func psgi(_ text: String) throws {
        let h = try HandlerName(parsing: text)
        #expect(h.isPSGI)
        #expect(h.function == nil)
        #expect(h.file == text, ".psgi wins over FILE.FUNCTION: the file is the handler itself")
        #expect(h.path(inTaskRoot: "/var/task") == "/var/task/" + text)
    }

    @Test func absolutePSGIPath() throws {
        let h = try HandlerName(parsing: "/srv/app.psgi")
        #expect(h.isPSGI)
        #expect(h.relativeFile == nil)
        #expect(h.path(inTaskRoot: "/var/task") == "/srv/app.psgi")
    }

    /// The WireError (.invalidHandler) message parsing `text` gives (nil when it parses).
    func failure(_ text: String) -> String? {
        do { _ = try HandlerName(parsing: text); return nil } catch let e as WireError where e.code == .invalidHandler { return e.description } catch {
            return "unexpected \(error)"
        }
    }

    @Test(arguments: ["", "handler", ".handle", "handler.", ".psgi", "web/.psgi", "."])
    func invalid(_ text: String) {
        #expect(failure(text) == "invalid handler '\(text)': \(HandlerName.expected)")
    }

    @Test func absoluteFileIsRefused() {
        #expect(failure("/x/handler.handle") == "invalid handler '/x/handler.handle': FILE is relative to the task root (e.g. lib/api.handle)")
    }
}
