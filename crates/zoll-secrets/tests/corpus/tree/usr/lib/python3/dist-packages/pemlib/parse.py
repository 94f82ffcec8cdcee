def is_private_key(line):
    return line.startswith("-----BEGIN RSA PRIVATE KEY-----")
