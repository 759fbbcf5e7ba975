package jobqueue

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook delivery.
const (
	SignatureHeader            = "X-Webhook-Signature"             // sha256=<hex HMAC-SHA256(secret, body)>
	TimestampHeader            = "X-Webhook-Timestamp"             // Unix seconds when the attempt was signed
	TimestampedSignatureHeader = "X-Webhook-Signature-Timestamped" // sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>
	DeliveryIDHeader           = "X-Webhook-Id"                    // the same on every retry: drop ids already handled
	EventHeader                = "X-Webhook-Event"
)

// DefaultWebhookTolerance is the server's own verifier's window: wide enough for clock skew, narrow enough to bound
// replays.
const DefaultWebhookTolerance = 5 * time.Minute

// Why VerifyWebhookSignature refused a delivery.
var (
	ErrBadSignature            = errors.New("jobqueue: webhook signature does not match the body")
	ErrBadTimestampedSignature = errors.New("jobqueue: webhook timestamp missing or its signature does not match")
	ErrOutsideTolerance        = errors.New("jobqueue: webhook timestamp outside the tolerance (a replay, or a clock far off)")
)

// VerifyWebhookSignature checks a delivery as the server signed it: both signatures must match the raw body
// (compared in constant time) and the timestamp must lie within tolerance of now (DefaultWebhookTolerance when 0),
// so a captured delivery cannot be replayed later. body must be the exact bytes received, before any JSON decoding.
func VerifyWebhookSignature(secret string, body []byte, header http.Header, tolerance time.Duration) error {
	if !signatureMatches(secret, body, header.Get(SignatureHeader)) {
		return ErrBadSignature
	}
	raw := header.Get(TimestampHeader)
	ts, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || strings.HasPrefix(raw, "+") || strings.HasPrefix(raw, "-") {
		return ErrBadTimestampedSignature
	}
	signed := append([]byte(raw+"."), body...)
	if !signatureMatches(secret, signed, header.Get(TimestampedSignatureHeader)) {
		return ErrBadTimestampedSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	age := time.Since(time.Unix(ts, 0))
	if age > tolerance || age < -tolerance {
		return ErrOutsideTolerance
	}
	return nil
}

func signatureMatches(secret string, content []byte, header string) bool {
	hexSig := strings.TrimPrefix(header, "sha256=")
	if hexSig == header {
		return false
	}
	given, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(content)
	return hmac.Equal(mac.Sum(nil), given)
}
