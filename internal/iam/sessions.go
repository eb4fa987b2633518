package iam

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// sessionClaims are what temporary credentials carry inside their session token:
// everything needed to verify a request signed with them and to know who signed it.
// The token is sealed with the keyring, so any replica opens it and nothing is stored
// per session; the secret inside never leaves the token in clear.
type sessionClaims struct {
	AccessKeyID string `json:"k"`
	Secret      string `json:"s"`
	AccountID   string `json:"a"`
	RoleName    string `json:"r"`
	RoleARN     string `json:"ra"`
	RoleID      string `json:"ri"`
	SessionName string `json:"n"`
	Policy      string `json:"p,omitempty"`
	// Issued and Expires are Unix milliseconds.
	Issued  int64 `json:"i"`
	Expires int64 `json:"e"`
}

// sessionTokenPurpose binds sealed session tokens to their use.
var sessionTokenPurpose = []byte("berth session token v1")

func (c sessionClaims) expires() time.Time { return time.UnixMilli(c.Expires) }

func (c sessionClaims) principal() Principal {
	return Principal{Type: TypeAssumedRole, AccountID: c.AccountID,
		ARN:    SessionARN(c.AccountID, c.RoleName, c.SessionName),
		UserID: c.RoleID + ":" + c.SessionName, AccessKeyID: c.AccessKeyID,
		RoleName: c.RoleName, RoleARN: c.RoleARN, SessionName: c.SessionName,
		Expires: c.expires(), SessionPolicy: c.Policy}
}

// sealSession returns the session token of c.
func (k *Keyring) sealSession(c sessionClaims) string {
	payload, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(k.Seal(payload, sessionTokenPurpose))
}

// openSession returns the claims of a session token, or false if it is not one this
// registry's keyring sealed.
func (k *Keyring) openSession(token string) (sessionClaims, bool) {
	sealed, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return sessionClaims{}, false
	}
	payload, err := k.Open(sealed, sessionTokenPurpose)
	if err != nil {
		return sessionClaims{}, false
	}
	var c sessionClaims
	if json.Unmarshal(payload, &c) != nil || c.AccessKeyID == "" {
		return sessionClaims{}, false
	}
	return c, true
}
