package iam

import (
	"crypto/rand"
	"errors"
	"math/big"
)

// Principal is who made a request: an account's root or one of its users.
type Principal struct {
	AccountID string
	// ARN is arn:aws:iam::<account>:root for the root, …:user/<name> for a user.
	ARN         string
	AccessKeyID string
	// UserName is "" for the account's root.
	UserName string
}

// RootARN is the ARN of an account's root.
func RootARN(accountID string) string { return "arn:aws:iam::" + accountID + ":root" }

// Sentinel errors of authentication.
var (
	ErrUnknownAccessKey = errors.New("unknown access key")
	ErrTokenInvalid     = errors.New("authorization token is invalid")
	ErrTokenExpired     = errors.New("authorization token has expired")
)

const (
	accessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, _ := rand.Int(rand.Reader, max)
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// NewAccessKeyID returns an access key id shaped like AWS's long-term ones (AKIA…).
func NewAccessKeyID() string { return "AKIA" + randomString(accessKeyAlphabet, 16) }

// NewSecretAccessKey returns a 40-character secret access key, as AWS issues.
func NewSecretAccessKey() string { return randomString(secretAlphabet, 40) }

// NewAccountID returns a random 12-digit account id.
func NewAccountID() string {
	return randomString("123456789", 1) + randomString("0123456789", 11)
}
