import Testing

@testable import Server

@Suite("Login throttle (brute-force protection)")
struct LoginThrottleTests {
    @Test("five failures within the window lock the account for the lock time; success clears the count")
    func locksAndUnlocks() {
        let throttle = LoginThrottle()
        let t0: Int64 = 1_000_000
        for i in 0..<(LoginThrottle.failuresMax - 1) {
            #expect(!throttle.recordFailure("Alice", nowSeconds: t0 + Int64(i)))
            #expect(throttle.lockedFor("alice", nowSeconds: t0 + Int64(i)) == nil)
        }
        #expect(throttle.recordFailure("alice", nowSeconds: t0 + 10), "the fifth failure locks (case-insensitive)")
        #expect(throttle.lockedFor("ALICE", nowSeconds: t0 + 11) == LoginThrottle.lockSeconds - 1)
        #expect(throttle.lockedFor("bob", nowSeconds: t0 + 11) == nil, "other accounts are not affected")
        #expect(throttle.lockedFor("alice", nowSeconds: t0 + 10 + LoginThrottle.lockSeconds) == nil)
        throttle.recordFailure("bob", nowSeconds: t0)
        throttle.recordSuccess("bob")
        for i in 0..<(LoginThrottle.failuresMax - 1) { throttle.recordFailure("bob", nowSeconds: t0 + Int64(i)) }
        #expect(throttle.lockedFor("bob", nowSeconds: t0 + 5) == nil, "a success reset bob's count")
    }

    @Test("failures spread beyond the window do not lock")
    func windowExpires() {
        let throttle = LoginThrottle()
        var now: Int64 = 0
        for _ in 0..<(LoginThrottle.failuresMax * 3) {
            #expect(!throttle.recordFailure("carol", nowSeconds: now))
            now += LoginThrottle.windowSeconds / Int64(LoginThrottle.failuresMax - 2)
        }
    }
}
