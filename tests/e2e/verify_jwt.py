"""Verifies a portcullis JWT the way a Python (e.g. FastAPI) backend would, with PyJWT.

usage: verify_jwt.py TOKEN JWKS_URL ISSUER AUDIENCE  -> prints the claims as JSON, exit 0;
a token that does not verify exits 1 with the reason on stderr.
"""
import json
import sys

import jwt


def main() -> int:
    token, jwks_url, issuer, audience = sys.argv[1:5]
    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    try:
        claims = jwt.decode(token, signing_key.key, algorithms=["EdDSA"], issuer=issuer, audience=audience)
    except jwt.InvalidTokenError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
