"""FHIR API clients, as in SMART backend services: registered systems (a hospital's record, the regional
infocentre) get short-lived bearer tokens with the OAuth2 client-credentials grant (RFC 6749 §4.4), carrying SMART
system scopes and bound to the client's organisation (its data scope is in `access`)."""
