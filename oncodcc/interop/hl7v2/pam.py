"""PAM.fr identities (ADT): see below."""
