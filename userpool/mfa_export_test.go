package userpool

// TOTPForTest is the 6-digit TOTP code of secret at time step step.
func TOTPForTest(secret []byte, step int64) string { return hotp(secret, uint64(step), totpDigits) }
