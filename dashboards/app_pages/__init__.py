"""One module per job a person does; each only renders."""
