import SwiftASN1
import Testing
import X509

@testable import OAuth

/// MTLS-01 / MTLS-07: `tls_client_auth_subject_dn` is an RFC 4514 string compared semantically.
@Suite struct MTLSDistinguishedNameTests {
    typealias DN = RFC4514DistinguishedName

    @Test func parsesRDNsTypesAndEscapes() throws {
        let dn = try DN(parsing: #"CN=client-1,OU=FAPI,O=Example\, Inc.,C=GB"#)
        #expect(dn.rdns.count == 4)
        #expect(dn.rdns[0] == [.init(oid: "2.5.4.3", value: .text("client-1"))])
        #expect(dn.rdns[2] == [.init(oid: "2.5.4.10", value: .text("Example, Inc."))])
        #expect(dn.rdns[3] == [.init(oid: "2.5.4.6", value: .text("GB"))])
    }

    @Test func parsesShortNamesCaseInsensitivelyAndDottedOIDs() throws {
        let dn = try DN(
            parsing: "cn=a,ou=b,o=c,l=d,st=e,street=f,dc=g,uid=h,c=GB,2.5.4.97=PSDGB-FCA-123456,OID.2.5.4.5=42")
        #expect(
            dn.rdns.map { $0[0].oid } == [
                "2.5.4.3", "2.5.4.11", "2.5.4.10", "2.5.4.7", "2.5.4.8", "2.5.4.9", "0.9.2342.19200300.100.1.25",
                "0.9.2342.19200300.100.1.1", "2.5.4.6", "2.5.4.97", "2.5.4.5",
            ])
    }

    @Test func parsesMultiValuedRDNsHexPairsAndBERValues() throws {
        let dn = try DN(parsing: ##"CN=Caf\C3\A9 + UID=jsmith,O=\#1 \"Bank\" \3B Co\ ,C=#13024742"##)
        #expect(dn.rdns[0].count == 2)
        #expect(dn.rdns[0][0].value == .text("Café"))
        #expect(dn.rdns[0][1] == .init(oid: "0.9.2342.19200300.100.1.1", value: .text("jsmith")))
        #expect(dn.rdns[1][0].value == .text(#"#1 "Bank" ; Co "#))
        #expect(dn.rdns[2][0].value == .text("GB"))  // #13024742 = PrintableString "GB"
    }

    @Test(arguments: [
        "", "CN", "CN=a,", "=a", "FOO=bar", "CN=a;O=b", "CN=a\"b", "CN=a<b", "CN=a\\", "CN=a\\zz", "CN=#1",
        "CN=#", "1.2.=x", "01.2=x", "CN=\\C3",
    ])
    func refusesStringsThatAreNotRFC4514(_ text: String) {
        #expect(throws: DN.ParseError.self) { try DN(parsing: text) }
    }

    /// MTLS-01: the same subject in another case, spacing, escaping or type spelling matches.
    @Test(arguments: [
        #"CN=client-1,OU=FAPI,O=Example\, Inc.,C=GB"#,
        #"cn=CLIENT-1, ou=fapi, o=example\, inc., c=gb"#,
        #"CN = client-1 , OU=FAPI,O=Example\2C  Inc.,C=GB"#,
        #"2.5.4.3=client-1,OU=FAPI,O=Example\, Inc.,C=#13024742"#,
    ])
    func mtls01MatchesTheSameSubjectWrittenDifferently(_ registered: String) throws {
        let subject = try TestPKI.clientSubject()
        #expect(try DN(parsing: registered).matches(subject))
        #expect(try DN(parsing: subject.description).matches(subject))
    }

    /// MTLS-01: a different value, a missing or extra RDN, or a different order does not match.
    @Test(arguments: [
        #"CN=client-2,OU=FAPI,O=Example\, Inc.,C=GB"#,
        #"CN=client-1,OU=FAPI,O=Example Inc.,C=GB"#,
        #"CN=client-1,OU=FAPI,C=GB"#,
        #"CN=client-1,OU=FAPI,O=Example\, Inc.,C=GB,DC=com"#,
        #"C=GB,O=Example\, Inc.,OU=FAPI,CN=client-1"#,
        #"CN=client-1+OU=FAPI,O=Example\, Inc.,C=GB"#,
        #"L=client-1,OU=FAPI,O=Example\, Inc.,C=GB"#,
    ])
    func mtls01DoesNotMatchAnotherSubject(_ registered: String) throws {
        #expect(try !DN(parsing: registered).matches(try TestPKI.clientSubject()))
    }

    @Test func multiValuedRDNsCompareAsSets() throws {
        let rdn = RelativeDistinguishedName([
            .init(type: .RDNAttributeType.commonName, utf8String: "client-1"),
            .init(type: [0, 9, 2342, 19_200_300, 100, 1, 1], utf8String: "u-42"),
        ])
        let subject = DistinguishedName([
            RelativeDistinguishedName(.init(type: .RDNAttributeType.countryName, utf8String: "GB")), rdn,
        ])
        #expect(try DN(parsing: "UID=u-42+CN=client-1,C=GB").matches(subject))
        #expect(try DN(parsing: "CN=client-1+UID=u-42,C=GB").matches(subject))
        #expect(try !DN(parsing: "CN=client-1,C=GB").matches(subject))
    }
}
