import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Makes NIO's singleton event loops Swift Concurrency's global executor, like
/// `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()`, with
/// one difference: jobs run on the *generic* executor, as they do on Swift's own pool, not isolated
/// to the event loop's serial executor. NIO's version runs every job isolated to the loop, so each
/// hop back to the generic executor (after most `await`s in nonisolated code) cannot continue
/// inline: the runtime enqueues the task again and the loop runs it on its next turn.
public enum GenericEventLoopExecutor {
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// The generic executor (`SerialExecutorRef::generic()`: no identity, no implementation). There
    /// is no public spelling of it; this relies on the runtime's layout of an executor reference (two
    /// words), as NIO's takeover relies on the hook's signature. Both are fixed by the pinned toolchain;
    /// the end-to-end tests run every request through this path.
    private static let generic = unsafeBitCast((UInt(0), UInt(0)), to: UnownedSerialExecutor.self)

    /// Installs the hook; false (nothing changed) when the runtime has no hook or one is installed.
    /// Call before any other asynchronous work.
    @discardableResult
    public static func install() -> Bool {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "swift_task_enqueueGlobal_hook") else {
            return false
        }
        // A plain store (NIO uses a compare-and-exchange): this runs once, before any other
        // asynchronous work, so nothing else reads or writes the hook yet.
        let slot = symbol.assumingMemoryBound(to: UnsafeRawPointer?.self)
        guard slot.pointee == nil else { return false }
        return withUnsafeTemporaryAllocation(of: EnqueueGlobalHook.self, capacity: 1) { hook in
            hook.baseAddress!.initialize(to: { job, _ in
                // `any()` is the current loop when called on one of the group's threads: no thread switch.
                MultiThreadedEventLoopGroup.singleton.any().execute {
                    job.runSynchronously(on: GenericEventLoopExecutor.generic)
                }
            })
            slot.pointee = hook.baseAddress!.withMemoryRebound(to: UnsafeRawPointer.self, capacity: 1) { $0.pointee }
            return true
        }
    }
}
