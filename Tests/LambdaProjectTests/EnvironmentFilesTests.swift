import Foundation
import Testing
@testable import LambdaProject

@Suite struct EnvironmentFilesTests {
    @Test func envFileLines() throws {
        let text = """
            # a comment
            PLAIN=value with spaces  
              INDENTED = x
            export EXPORTED=1
            EMPTY=
            EQUALS=a=b=c
            HASH=abc #comment
            NOHASH=abc#def
            SINGLE='  $HOME \\n # kept '
            DOUBLE="line1\\nline2 \\"q\\" \\\\ \\$x" # trailing comment
            CRLF=yes\r

            PLAIN=later wins
            """
        let vars = try EnvironmentFiles.parseEnvFile(text, path: "f.env")
        #expect(vars == [
            "PLAIN": "later wins", "INDENTED": "x", "EXPORTED": "1", "EMPTY": "", "EQUALS": "a=b=c", "HASH": "abc",
            "NOHASH": "abc#def", "SINGLE": "  $HOME \\n # kept ", "DOUBLE": "line1\nline2 \"q\" \\ $x", "CRLF": "yes",
        ])
    }

    @Test func envFileErrorsNameFileAndLine() {
        func message(_ text: String) -> String {
            do { _ = try EnvironmentFiles.parseEnvFile(text, path: "dir/x.env"); return "" } catch { return "\(error)" }
        }
        #expect(message("A=1\nno equals here") == "dir/x.env:2: expected KEY=VALUE, got 'no equals here'")
        #expect(message("\n\n1BAD=x") == "dir/x.env:3: '1BAD' is not a variable name (a letter or _, then letters, digits or _)")
        #expect(message("A=\"open") == "dir/x.env:1: the value's \" is not closed on its line")
        #expect(message("A='x' y") == "dir/x.env:1: unexpected text after the closing ': 'y'")
    }

    @Test func samJSON() throws {
        let json = #"{"Parameters": {"A": "global", "B": "global", "N": 3, "T": true, "F": false, "Z": null, "L": [1]},"#
            + #" "Hello": {"B": "hello", "C": 1.5}, "my-api": {"B": "api"}}"#
        let o = try SAMEnvironmentOverrides.parse(Data(json.utf8), path: "env.json")
        #expect(o.parameters == ["A": "global", "B": "global", "N": "3", "T": "true", "F": "false", "Z": "", "L": ""])
        #expect(o.variables(for: ["Hello"])["B"] == "hello")
        #expect(o.variables(for: ["Hello"])["C"] == "1.5")
        #expect(o.variables(for: ["Api", "my-api"])["B"] == "api", "by FunctionName when the logical ID has no entry")
        #expect(o.variables(for: ["Other"]) == o.parameters)
    }

    @Test func samFileErrorsAndDotenvFallback() throws {
        func message(_ text: String) -> String {
            do { _ = try SAMEnvironmentOverrides.parse(Data(text.utf8), path: "env.json"); return "" } catch { return "\(error)" }
        }
        #expect(message(#"{"Hello": "x"}"#).hasPrefix(#"env.json: "Hello" must be an object of variables"#))
        #expect(message("{\n  \"A\": {\"x\": 1},\n  oops\n}").hasPrefix("env.json: not valid JSON ("))
        // not JSON at all: KEY=VALUE lines for every function, as sam local invoke reads .env files
        let o = try SAMEnvironmentOverrides.parse(Data("A=1\n".utf8), path: "vars.env")
        #expect(o.parameters == ["A": "1"])
        #expect(message("A=1\nB").hasPrefix("env.json:2: expected KEY=VALUE"))
    }
}
