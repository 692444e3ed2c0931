import Hummingbird

/// `GET /health/live` and `GET /health/ready` for orchestrators and the CLI.
///
/// * live: 200 `{"status":"live"}` whenever the process serves HTTP.
/// * ready: 200 `{"status":"ready"}` once `isReady()` says so (journal recovered, projection
///   caught up…), else 503 `{"status":"starting"}`.
enum HealthRoutes {
    struct Status: Codable, Equatable {
        var status: String
    }

    static func add(to router: Router<OPRequestContext>, isReady: @escaping @Sendable () async -> Bool) {
        let noStore: HTTPFields = [.cacheControl: "no-store"]
        router.get("/health/live") { _, _ in
            try JSONResponse.make(Status(status: "live"), headers: noStore)
        }
        router.get("/health/ready") { _, _ in
            if await isReady() {
                return try JSONResponse.make(Status(status: "ready"), headers: noStore)
            }
            return try JSONResponse.make(Status(status: "starting"), status: .serviceUnavailable, headers: noStore)
        }
    }
}
