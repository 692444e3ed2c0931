// End-user authentication primitives: password hashing and TOTP (see the files beside this one).
