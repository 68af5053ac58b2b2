"""Local stand-ins for the national services (MSSanté relay, DMP XDS.b repository), for the tests and the demo."""
