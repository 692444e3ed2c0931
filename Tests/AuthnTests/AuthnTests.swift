import Testing

@testable import Authn
