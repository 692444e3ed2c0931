import Testing

/// End-to-end reliability tests: the real `strongroom` binary (built next to this test bundle) as
/// child processes, on real files under `NSTemporaryDirectory()`.
///
/// Serialized: the tests fsync, start HTTPS servers and kill processes; running them one at a time
/// keeps every wait far from its deadline on a small machine. Run with
/// `swift test --skip-build --scratch-path .build-e2e --filter EndToEndTests`; a failing random run
/// is replayed with the printed seed: `STRONGROOM_E2E_SEED=<seed> swift test …`.
@Suite("End to end: the strongroom binary on real files", .serialized)
struct EndToEndTests {}
