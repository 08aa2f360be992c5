package ui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// A new key's or token's plaintext travels from the POST that made it to
// the one page that shows it in a cookie of its own, sealed (AES-256-GCM)
// under a key derived from the session cookie's value, which no instance
// stores: any instance can open it for this browser's session, nothing is
// written to the database or kept in memory, and a stolen reveal cookie
// without the session's is noise. The page that opens it deletes it, so a
// reload, the back button or any later page finds nothing; it also lapses
// after revealLifetime.

// reveal is what the shown-once page needs.
type reveal struct {
	Plain    string `json:"p"`
	ID       string `json:"i"` // the key's or the member's id
	Display  string `json:"d"`
	Note     string `json:"n,omitempty"`
	Incident string `json:"x,omitempty"`
	At       int64  `json:"t"` // unix seconds
}

const revealCookiePrefix = "kg_ui_rv_"

// maxNote keeps a reveal cookie well under the browsers' 4 KB.
const maxNote = 1500

func (q *req) revealAEAD() cipher.AEAD {
	m := hmac.New(sha256.New, []byte(q.sess.raw))
	m.Write([]byte("keygate-ui-reveal"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// keep seals rv (a kind's object: "key" or "member") into a cookie for
// the session's next page and returns the reveal's id.
func (q *req) keep(kind string, rv reveal) string {
	id := randomToken()[:22]
	rv.At = q.s.Now().Unix()
	if len(rv.Note) > maxNote {
		rv.Note = rv.Note[:maxNote]
		for len(rv.Note) > 0 && !utf8Start(rv.Note[len(rv.Note)-1]) {
			rv.Note = rv.Note[:len(rv.Note)-1]
		}
	}
	plain, _ := json.Marshal(rv)
	aead := q.revealAEAD()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	sealed := aead.Seal(nonce, nonce, plain, []byte(kind+"\x00"+rv.ID+"\x00"+id))
	q.s.setCookie(q.w, q.r, revealCookiePrefix+id, base64.RawURLEncoding.EncodeToString(sealed), revealLifetime)
	return id
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// take opens and deletes the reveal id of kind's object objectID.
func (q *req) take(kind, objectID, id string) (reveal, bool) {
	var rv reveal
	if id == "" || len(id) > 40 || strings.ContainsAny(id, "=;, ") {
		return rv, false
	}
	c, err := q.r.Cookie(revealCookiePrefix + id)
	if err != nil {
		return rv, false
	}
	q.s.clearCookie(q.w, q.r, revealCookiePrefix+id)
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	aead := q.revealAEAD()
	if err != nil || len(sealed) < aead.NonceSize() {
		return rv, false
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(kind+"\x00"+objectID+"\x00"+id))
	if err != nil || json.Unmarshal(plain, &rv) != nil || rv.ID != objectID {
		return reveal{}, false
	}
	if age := q.s.Now().Sub(time.Unix(rv.At, 0)); age < 0 || age > revealLifetime {
		return reveal{}, false
	}
	return rv, true
}
