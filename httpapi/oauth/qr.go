package oauth

import (
	"encoding/base64"

	qrcode "github.com/skip2/go-qrcode"
)

// qrPNG is the data: URL of a PNG QR code of s (the software-token setup's
// otpauth:// URI, for authenticator apps to scan), or "" when none can be
// made. The page's Content-Security-Policy allows data: images only.
func qrPNG(s string) string {
	png, err := qrcode.Encode(s, qrcode.Medium, 256)
	if err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}
