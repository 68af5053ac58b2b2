"""OncoDCC: the regional Dossier Communicant de Cancérologie."""
