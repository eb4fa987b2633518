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

// tokenClaims is what a registry password carries: the principal it was issued to, so
// that each use is authorized as that principal. It is verified with the keyring alone,
// so any replica accepts a token any other replica issued.
type tokenClaims struct {
	Version       int    `json:"v"`
	Type          string `json:"t"`
	AccountID     string `json:"a"`
	AccessKeyID   string `json:"k"`
	ARN           string `json:"p"`
	UserID        string `json:"i,omitempty"`
	UserName      string `json:"u,omitempty"`
	RoleName      string `json:"rn,omitempty"`
	RoleARN       string `json:"ra,omitempty"`
	SessionName   string `json:"sn,omitempty"`
	SessionPolicy string `json:"sp,omitempty"`
	// SessionExpires is when the temporary credentials the token was got with expire
	// (Unix ms); the token expires with them.
	SessionExpires int64 `json:"se,omitempty"`
	Expires        int64 `json:"e"`
}

const (
	tokenPrefix  = "berth2."
	tokenVersion = 2
)

func (c tokenClaims) principal() Principal {
	p := Principal{Type: PrincipalType(c.Type), AccountID: c.AccountID, ARN: c.ARN, UserID: c.UserID,
		AccessKeyID: c.AccessKeyID, UserName: c.UserName, RoleName: c.RoleName, RoleARN: c.RoleARN,
		SessionName: c.SessionName, SessionPolicy: c.SessionPolicy}
	if c.SessionExpires != 0 {
		p.Expires = time.UnixMilli(c.SessionExpires)
	}
	return p
}

// IssueToken returns a registry password for p, valid 12 hours or, for temporary
// credentials, until they expire if that is sooner. The ECR authorization token is
// base64("AWS:" + password).
func (k *Keyring) IssueToken(p Principal, now time.Time) (password string, expires time.Time) {
	expires = now.Add(TokenLifetime).Truncate(time.Millisecond)
	c := tokenClaims{Version: tokenVersion, Type: string(p.Type), AccountID: p.AccountID, AccessKeyID: p.AccessKeyID,
		ARN: p.ARN, UserID: p.UserID, UserName: p.UserName, RoleName: p.RoleName, RoleARN: p.RoleARN,
		SessionName: p.SessionName, SessionPolicy: p.SessionPolicy}
	if !p.Expires.IsZero() {
		c.SessionExpires = p.Expires.UnixMilli()
		if p.Expires.Before(expires) {
			expires = p.Expires.Truncate(time.Millisecond)
		}
	}
	c.Expires = expires.UnixMilli()
	payload, _ := json.Marshal(c)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + body + "." + k.mac(k.tokenKey, body), expires
}

// VerifyToken returns the principal a registry password was issued to.
func (k *Keyring) VerifyToken(password string, now time.Time) (Principal, error) {
	c, err := k.verifyToken(password)
	if err != nil {
		return Principal{}, err
	}
	if now.UnixMilli() >= c.Expires {
		return Principal{}, ErrTokenExpired
	}
	return c.principal(), nil
}

// verifyToken checks a password's signature and returns its claims, expired or not.
func (k *Keyring) verifyToken(password string) (tokenClaims, error) {
	rest, ok := strings.CutPrefix(password, tokenPrefix)
	if !ok {
		return tokenClaims{}, ErrTokenInvalid
	}
	body, sig, ok := strings.Cut(rest, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(k.mac(k.tokenKey, body))) {
		return tokenClaims{}, ErrTokenInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return tokenClaims{}, ErrTokenInvalid
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Version != tokenVersion {
		return tokenClaims{}, ErrTokenInvalid
	}
	return c, nil
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
