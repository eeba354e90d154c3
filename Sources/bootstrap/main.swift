import LambdaRuntime
#if canImport(Glibc)
import Glibc
#endif

exit(Bootstrap.main(CommandLine.arguments))
