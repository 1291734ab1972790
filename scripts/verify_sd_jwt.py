#!/usr/bin/env python3
"""An independent verifier for Tongban's certificates (SD-JWT VC) and status lists.

Issue 7 asks that our certificates verify with an implementation that is not the code that
signed them. This script shares no code with the Rust verifier: the JWS signatures and the
JWK thumbprints (RFC 7638) are checked by `jwcrypto`, and the SD-JWT rules (RFC 9901: every
disclosure's SHA-256 digest must be in the signed `_sd`, no repeats, no disclosed name that
collides with a signed claim) and the Token Status List (ZLIB, `bits` per entry, least
significant bits first) are written here from the specifications with the standard library.

Usage: scripts/verify_sd_jwt.py DIR

DIR holds `expected.json` (written by crates/tongban-domain/tests/independent_verifier.rs):
the JWKS file, the Status List Token file, the verification time, and for each certificate
file the verdict expected (valid, expired, revoked, suspended, forged) and, for genuine ones,
the claims our verifier produced. The script prints "ok FILE: VERDICT" for each agreement and
exits 0 when all agree, 1 on any disagreement, and 3 when `jwcrypto` is not installed
(install it with `pip install jwcrypto`).
"""

import base64
import hashlib
import json
import sys
import zlib
from pathlib import Path

try:
    from cryptography.hazmat.primitives import hashes
    from jwcrypto import jwk, jws
    from jwcrypto.common import JWException
except ImportError:
    print("python module jwcrypto is not installed (pip install jwcrypto)", file=sys.stderr)
    sys.exit(3)

ALLOWED_ALGS = ["EdDSA", "ES256"]


class Forged(Exception):
    """The token is not genuine."""


def b64url_decode(text):
    if "=" in text:
        raise Forged("padding in base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_keys(path):
    keys = jwk.JWKSet.from_json(Path(path).read_text())
    for key in keys["keys"]:
        # Our kids are RFC 7638 thumbprints: recompute them independently.
        if key.thumbprint(hashes.SHA256()) != key.get("kid"):
            raise SystemExit(f"kid {key.get('kid')} is not the key's RFC 7638 thumbprint")
    return keys


def verify_jws(compact, keys, typ):
    """The payload of a compact JWS signed by one of `keys`, with header `typ`."""
    token = jws.JWS()
    token.allowed_algs = ALLOWED_ALGS
    try:
        token.deserialize(compact)
        header = token.jose_header
        alg = header.get("alg")
        if alg not in ALLOWED_ALGS:
            raise Forged(f"alg {alg!r} not allowed")
        key = keys.get_key(header.get("kid"))
        if key is None:
            raise Forged("unknown kid")
        token.verify(key, alg=alg)
    except JWException as error:
        raise Forged(f"signature: {error}") from error
    except ValueError as error:
        raise Forged(f"malformed JWS: {error}") from error
    if header.get("typ") != typ:
        raise Forged(f"typ {header.get('typ')!r} is not {typ}")
    return json.loads(token.payload)


def verify_sd_jwt(compact, keys):
    """The verified claims of an SD-JWT VC without key binding (RFC 9901 section 7.1)."""
    parts = compact.split("~")
    if len(parts) < 2 or parts[-1] != "":
        raise Forged("not an SD-JWT without key binding")
    payload = verify_jws(parts[0], keys, "dc+sd-jwt")
    if payload.pop("_sd_alg", "sha-256") != "sha-256":
        raise Forged("_sd_alg is not sha-256")
    digests = payload.pop("_sd", [])
    if len(set(digests)) != len(digests):
        raise Forged("a digest repeats in _sd")
    seen = set()
    for disclosure in parts[1:-1]:
        if disclosure in seen:
            raise Forged("a disclosure repeats")
        seen.add(disclosure)
        digest = base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode("ascii")).digest())
        if digest.decode("ascii").rstrip("=") not in digests:
            raise Forged("a disclosure is not in _sd")
        salt, name, value = json.loads(b64url_decode(disclosure))
        if not isinstance(salt, str) or not isinstance(name, str):
            raise Forged("malformed disclosure")
        if name in ("_sd", "...") or name in payload:
            raise Forged(f"disclosed claim {name!r} collides")
        payload[name] = value
    for claim in ("iss", "vct"):
        if not isinstance(payload.get(claim), str):
            raise Forged(f"{claim} missing")
    return payload


def read_status_list(token, keys, uri, issuer, now, leeway):
    """The status list of a verified Status List Token: (bits, bytes)."""
    claims = verify_jws(token, keys, "statuslist+jwt")
    if claims.get("sub") != uri:
        raise SystemExit("the status list token is for another URI")
    if claims.get("iss", issuer) != issuer:
        raise SystemExit("the status list token is from another issuer")
    if "exp" in claims and claims["exp"] + leeway <= now:
        raise SystemExit("the status list token has expired")
    bits = claims["status_list"]["bits"]
    if bits not in (1, 2, 4, 8):
        raise SystemExit(f"bits {bits} is not 1, 2, 4 or 8")
    return bits, zlib.decompress(b64url_decode(claims["status_list"]["lst"]))


def status_at(bits, data, index):
    position = index * bits
    return (data[position // 8] >> (position % 8)) & ((1 << bits) - 1)


def verdict(claims, now, leeway, status_list):
    if "exp" in claims and claims["exp"] + leeway <= now:
        return "expired"
    for claim in ("nbf", "iat"):
        if claim in claims and claims[claim] > now + leeway:
            return "not yet valid"
    reference = claims.get("status", {}).get("status_list")
    if reference is not None:
        status = status_at(*status_list, reference["idx"])
        if status == 1:
            return "revoked"
        if status == 2:
            return "suspended"
        if status != 0:
            return "revoked"
    return "valid"


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(sys.argv[1])
    expected = json.loads((folder / "expected.json").read_text())
    keys = load_keys(folder / expected["jwks"])
    now, leeway = expected["now"], expected["leeway"]
    status_list = read_status_list(
        (folder / expected["status_list_token"]).read_text(),
        keys,
        expected["status_list_uri"],
        expected["issuer"],
        now,
        leeway,
    )
    failures = 0
    for case in expected["cases"]:
        name = case["file"]
        compact = (folder / name).read_text()
        try:
            claims = verify_sd_jwt(compact, keys)
            got = verdict(claims, now, leeway, status_list)
        except Forged as reason:
            claims, got = None, "forged"
            print(f"     {name}: refused: {reason}")
        if got != case["expect"]:
            print(f"FAIL {name}: expected {case['expect']}, got {got}")
            failures += 1
        elif claims is not None and claims != case["claims"]:
            print(f"FAIL {name}: claims differ:\n  ours:  {case['claims']}\n  here:  {claims}")
            failures += 1
        else:
            print(f"ok {name}: {got}")
    print(f"{len(expected['cases']) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
