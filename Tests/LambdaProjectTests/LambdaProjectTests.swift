import Testing
@testable import LambdaProject

@Test func moduleLoads() { _ = LambdaProject.self }
