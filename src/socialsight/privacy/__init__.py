"""Privacy: pseudonyms, the directory of units, the secret key, minimum group sizes."""
