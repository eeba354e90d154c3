import LambdaEmulator
import Testing

@Suite struct InvokeAPITests {
    @Test func limits() {
        // the synchronous request limit is 6 MiB exactly; Event invocations take 256 KiB
        #expect(InvokeAPI.maxRequestBytes == 6 * 1024 * 1024)
        #expect(InvokeAPI.maxAsyncRequestBytes == 256 * 1024)
    }
}
