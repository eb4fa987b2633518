package iam

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TokenLifetime is how long a registry authorization token is valid, as in ECR.
const TokenLifetime = 12 * time.Hour

// tokenClaims is what a registry password carries. It is verified with the keyring
// alone, so any replica accepts a token any other replica issued.
type tokenClaims struct {
	Version     int    `json:"v"`
	AccountID   string `json:"a"`
	AccessKeyID string `json:"k"`
	ARN         string `json:"p"`
	UserName    string `json:"u,omitempty"`
	Expires     int64  `json:"e"`
}

const tokenPrefix = "berth1."

// IssueToken returns a registry password for p valid until expires. The ECR
// authorization token is base64("AWS:" + password).
func (k *Keyring) IssueToken(p Principal, now time.Time) (password string, expires time.Time) {
	expires = now.Add(TokenLifetime).Truncate(time.Millisecond)
	payload, _ := json.Marshal(tokenClaims{Version: 1, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID,
		ARN: p.ARN, UserName: p.UserName, Expires: expires.UnixMilli()})
	body := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + body + "." + k.mac(k.tokenKey, body), expires
}

// VerifyToken returns the principal a registry password was issued to.
func (k *Keyring) VerifyToken(password string, now time.Time) (Principal, error) {
	p, _, err := k.verifyToken(password, now)
	return p, err
}

func (k *Keyring) verifyToken(password string, now time.Time) (Principal, time.Time, error) {
	rest, ok := strings.CutPrefix(password, tokenPrefix)
	if !ok {
		return Principal{}, time.Time{}, ErrTokenInvalid
	}
	body, sig, ok := strings.Cut(rest, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(k.mac(k.tokenKey, body))) {
		return Principal{}, time.Time{}, ErrTokenInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Principal{}, time.Time{}, ErrTokenInvalid
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Version != 1 {
		return Principal{}, time.Time{}, ErrTokenInvalid
	}
	if now.UnixMilli() >= c.Expires {
		return Principal{}, time.Time{}, ErrTokenExpired
	}
	return Principal{AccountID: c.AccountID, ARN: c.ARN, AccessKeyID: c.AccessKeyID, UserName: c.UserName},
		time.UnixMilli(c.Expires), nil
}

func (k *Keyring) mac(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Query parameters of a presigned blob URL.
const (
	URLExpiresParam   = "X-Berth-Expires"
	URLSignatureParam = "X-Berth-Signature"
)

func urlMessage(registryID, repository, dgst string, expires int64) string {
	return registryID + "\n" + repository + "\n" + dgst + "\n" + strconv.FormatInt(expires, 10)
}

// PresignBlob returns the query that lets anyone holding it download one blob of one
// repository until expires (GetDownloadUrlForLayer's URL).
func (k *Keyring) PresignBlob(registryID, repository, dgst string, expires time.Time) url.Values {
	exp := expires.Unix()
	q := url.Values{}
	q.Set(URLExpiresParam, strconv.FormatInt(exp, 10))
	q.Set(URLSignatureParam, k.mac(k.urlKey, urlMessage(registryID, repository, dgst, exp)))
	return q
}

// VerifyPresignedBlob checks a presigned blob query.
func (k *Keyring) VerifyPresignedBlob(registryID, repository, dgst string, q url.Values, now time.Time) error {
	exp, err := strconv.ParseInt(q.Get(URLExpiresParam), 10, 64)
	if err != nil {
		return fmt.Errorf("presigned URL: bad %s: %w", URLExpiresParam, ErrTokenInvalid)
	}
	want := k.mac(k.urlKey, urlMessage(registryID, repository, dgst, exp))
	if !hmac.Equal([]byte(q.Get(URLSignatureParam)), []byte(want)) {
		return fmt.Errorf("presigned URL: %w", ErrTokenInvalid)
	}
	if now.Unix() >= exp {
		return fmt.Errorf("presigned URL: %w", ErrTokenExpired)
	}
	return nil
}
