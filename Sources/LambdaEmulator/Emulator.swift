import LambdaWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The local Lambda: an Invoke API server for callers and a pool of execution environments per function.
/// All of its state lives on one event loop; the function processes do the heavy lifting.
public final class Emulator: @unchecked Sendable {
    public let functions: [FunctionConfiguration]
    public let region: String
    let loop: EventLoop
    private let group: MultiThreadedEventLoopGroup
    let logger: Logger
    private let pools: [String: FunctionPool]
    private var server: Channel?
    /// Set before `start`: plain HTTP requests (not Invoke API paths) become this front door's events.
    public var frontDoor: HTTPFrontDoor?

    /// `logSink` receives each line of the functions' logs (their output and Lambda's START/END/REPORT lines).
    public init(functions: [FunctionConfiguration], logger: Logger, logSink: @escaping @Sendable (String) -> Void) {
        precondition(!functions.isEmpty, "an emulator needs a function")
        self.functions = functions
        self.region = functions[0].region
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        var pools: [String: FunctionPool] = [:]
        for f in functions {
            pools[f.name] = FunctionPool(config: f, loop: loop, logger: logger, logSink: logSink)
        }
        self.pools = pools
    }

    func pool(named name: String) -> FunctionPool? { pools[name] }

    /// Starts the Invoke API server; the future holds the bound address.
    public func start(host: String, port: Int) -> EventLoopFuture<SocketAddress> {
        Orphans.adopt()
        return ServerBootstrap(group: loop)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    let door = self.frontDoor
                    return channel.pipeline.addHandlers(RequestHeadLimit(),
                                                        door.map { FrontDoorRouter(emulator: self, frontDoor: $0) as ChannelHandler }
                                                            ?? InvokeAPIHandler(emulator: self))
                }
            }
            .bind(host: host, port: port)
            .flatMapThrowing { channel in
                self.server = channel
                guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
                return address
            }
    }

    /// Runs one invocation without the HTTP server (the `invoke` command). The payload must be JSON.
    public func invoke(function name: String, payload: [UInt8], tenantID: String? = nil,
                       wantsLogTail: Bool = false) -> EventLoopFuture<InvocationOutcome> {
        loop.flatSubmit {
            guard let pool = self.pools[name] else {
                return self.loop.makeFailedFuture(ServiceError.functionNotFound(arn: InvokeAPI.functionARN(region: self.region, name: name)))
            }
            if let error = ServiceError.checkTenancy(isolated: pool.config.tenantIsolation, tenantID: tenantID) {
                return self.loop.makeFailedFuture(error)
            }
            let bytes: [UInt8]
            switch InvokeRequest.validatePayload(payload) {
            case .failure(let error): return self.loop.makeFailedFuture(error)
            case .success(let b): bytes = b
            }
            let promise = self.loop.makePromise(of: InvocationOutcome.self)
            pool.submit(Invocation(payload: ByteBuffer(bytes: bytes), tenantID: tenantID, wantsLogTail: wantsLogTail,
                                   sink: .buffered { promise.succeed($0) }))
            return promise.futureResult
        }
    }

    /// Stops accepting calls, ends every environment and waits until their processes are gone.
    public func shutdown() -> EventLoopFuture<Void> {
        loop.flatSubmit {
            let closed = self.server?.close() ?? self.loop.makeSucceededVoidFuture()
            let pools = self.pools.values.map { $0.shutdown() }
            return EventLoopFuture.andAllComplete([closed.recover { _ in }] + pools, on: self.loop)
        }
    }

    /// `shutdown()`, then the event loop itself. Blocks; do not call on the emulator's loop.
    public func syncShutdown() throws {
        try shutdown().wait()
        try group.syncShutdownGracefully()
    }

    /// Resolves when the server channel closes.
    public var closeFuture: EventLoopFuture<Void>? { server?.closeFuture }

    /// Applies new settings to the functions already served (a template reloaded by `serve --watch`): each one
    /// whose settings differ gets them and fresh environments. Resolves to lines saying what happened; functions
    /// the emulator does not serve, and served ones missing from `configs`, are reported, not added or removed.
    public func reconfigure(_ configs: [FunctionConfiguration]) -> EventLoopFuture<[String]> {
        loop.submit {
            var lines: [String] = []
            for c in configs {
                guard let pool = self.pool(named: c.name) else {
                    lines.append("\(c.name) is new: restart serve to serve it")
                    continue
                }
                guard pool.config != c else { continue }
                if pool.config.taskRoot != c.taskRoot {
                    lines.append("\(c.name): CodeUri changed to \(c.taskRoot); --watch keeps watching \(pool.config.taskRoot)")
                }
                let n = pool.reconfigure(c)
                lines.append("\(c.name): new settings; restarting (\(n) environment\(n == 1 ? "" : "s"))")
            }
            for f in self.functions where !configs.contains(where: { $0.name == f.name }) {
                lines.append("\(f.name) is gone from the template: still served until serve restarts")
            }
            return lines
        }
    }
}
