#!/usr/bin/env python3
"""Sign a test launch token for OncoDCC's contextual launch ("appel contextuel") and print the launch URL.

Standalone: needs only PyJWT and cryptography (`pip install "PyJWT[crypto]"`). The token profile is described in
docs/launch.md. Examples:

    # once: a key pair for the hospital (give the public one to the DCC: dcc launch register-key)
    scripts/sign-launch-token.py --generate-key es256 var/chu-demo
    # then, for each try (valid 5 minutes, usable once):
    scripts/sign-launch-token.py --key var/chu-demo.key.pem --iss 1.2.250.1.999.1 --rpps 10099000011 \\
        --ipp 123456 --birth-name DUPONT --given "Marie Louise" --birth-date 1961-04-12 --sex F \\
        --base-url http://127.0.0.1:8000

Test data only: never put a real patient's identity in a command line.
"""

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def generate_key(kind: str, out: str) -> None:
    """Write OUT.key.pem (private, PKCS#8, mode 600) and OUT.pub.pem (public, SubjectPublicKeyInfo)."""
    if kind == "rs256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    key_path, pub_path = Path(f"{out}.key.pem"), Path(f"{out}.pub.pem")
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    key_path.chmod(0o600)
    pub_path.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))
    print(f"private key: {key_path}\npublic key:  {pub_path}  (algorithm {kind.upper()})")


def algorithm_of(private) -> str:
    if isinstance(private, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1":
        return "ES256"
    raise SystemExit("The key must be RSA (RS256) or EC P-256 (ES256).")


def build_claims(args) -> dict:
    now = int(time.time())
    patient = {"ipp": args.ipp, "birth_name": args.birth_name, "birth_given_names": args.given,
               "birth_date": args.birth_date, "sex": args.sex}
    optional = {"birthplace_insee": args.birthplace, "used_name": args.used_name,
                "used_given_name": args.used_given_name, "identity_status": args.identity_status}
    patient.update({k: v for k, v in optional.items() if v})
    if args.ins:
        patient["ins"] = {"matricule": args.ins, "oid": args.ins_oid}
    return {
        "iss": args.iss, "aud": args.aud, "iat": now, "exp": now + args.lifetime, "jti": str(uuid.uuid4()),
        "sub": args.rpps, "intent": args.intent, "patient": {k: v for k, v in patient.items() if v},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate-key", nargs=2, metavar=("rs256|es256", "OUT"),
                        help="write a key pair OUT.key.pem / OUT.pub.pem and stop")
    parser.add_argument("--key", help="private key PEM of the hospital")
    parser.add_argument("--kid", default="", help="key id put in the header (when registered with one)")
    parser.add_argument("--iss", help="issuer registered in the DCC (e.g. the hospital's FINESS or OID)")
    parser.add_argument("--aud", default="oncodcc", help="audience: the DCC's DCC_LAUNCH_AUDIENCE (oncodcc)")
    parser.add_argument("--rpps", help="the doctor's RPPS number (11 digits)")
    parser.add_argument("--ipp", help="the patient's IPP in the hospital")
    parser.add_argument("--ins", default="", help="INS matricule (15 characters), when known")
    parser.add_argument("--ins-oid", default="1.2.250.1.213.1.4.8", help="OID of the INS (NIR by default)")
    parser.add_argument("--birth-name", default="")
    parser.add_argument("--given", default="", help="birth given names, space-separated")
    parser.add_argument("--birth-date", default="", help="YYYY-MM-DD")
    parser.add_argument("--sex", default="", choices=["", "F", "M", "I"])
    parser.add_argument("--birthplace", default="", help="INSEE code of the birthplace (5 characters)")
    parser.add_argument("--used-name", default="")
    parser.add_argument("--used-given-name", default="")
    parser.add_argument("--identity-status", default="", choices=["", "PROV", "VALI", "RECUP", "QUAL"])
    parser.add_argument("--intent", default="view", choices=["view", "register"])
    parser.add_argument("--lifetime", type=int, default=120, help="seconds of validity (the DCC allows 300)")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the DCC's address")
    parser.add_argument("--show", action="store_true", help="also print the decoded header and claims")
    args = parser.parse_args(argv)

    if args.generate_key:
        kind, out = args.generate_key
        if kind.lower() not in {"rs256", "es256"}:
            parser.error("--generate-key rs256|es256 OUT")
        generate_key(kind.lower(), out)
        return 0
    missing = [name for name in ("key", "iss", "rpps", "ipp") if not getattr(args, name)]
    if missing:
        parser.error("missing: " + ", ".join("--" + m for m in missing))
    private = serialization.load_pem_private_key(Path(args.key).read_bytes(), password=None)
    algorithm = algorithm_of(private)
    headers = {"kid": args.kid} if args.kid else None
    claims = build_claims(args)
    token = jwt.encode(claims, private, algorithm=algorithm, headers=headers)
    if args.show:
        print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims}, indent=2,
                         ensure_ascii=False), file=sys.stderr)
    print(f"{args.base_url.rstrip('/')}/launch?{urlencode({'token': token})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
