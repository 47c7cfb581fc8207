package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/rollcall/rollcall/api"
)

// FuzzUserCreateDecode checks that decodeUserCreate answers every body
// exactly as decodeData does: the same user write or the same error.
func FuzzUserCreateDecode(f *testing.F) {
	for _, s := range []string{
		`{"data":{"type":"users","attributes":{"username":"ada","email":"ada@example.com","first-name":"Ada"}}}`,
		` {"data":{"type":"users","attributes":{"username":"Bob","attributes":{"Team":"x"}},"relationships":{"groups":{"data":[{"type":"groups","id":"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71"}]}}},"meta":{"K":1}}` + "\n",
		`{"data":{"type":"users","attributes":{"First-Name":"case differs"}}}`,
		`{"DATA":{"type":"users"}}`,
		`{"data":{"type":"users","attributes":{"first\u002dname":"escaped name"}}}`,
		`{"data":{"type":"users","attributes":{"ſtatus":"long s"}}}`,
		`{"data":{"type":"users","attributes":{"nick":"unknown"}}}`,
		`{"data":{"type":"users","attributes":{"username":123}}}`,
		`{"data":{"type":"users","attributes":{"title":null,"is-admin":false,"username":"a\"b\\c"}}}`,
		`{"data":{"type":"users"}} x`, `{"data":{"type":"users"}}{}`,
		`{"data":null}`, `{}`, `[]`, `null`, ``, `{"data":`, `"data"`,
		"{\"data\":{\"type\":\"users\",\"attributes\":{\"username\":\"\xff\"}}}",
		`{"data":{"type":"users","attributes":{"username":"\ud800"}}}`,
		`{"data":{"type":"users","attributes":{"username":"a","username":"b"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := decodeUserCreate(httptest.NewRequest("POST", "/api/v1/users", bytes.NewReader(body)))
		want, wantErr := decodeData[api.UserWrite](httptest.NewRequest("POST", "/api/v1/users", bytes.NewReader(body)))
		if describe(gotErr) != describe(wantErr) {
			t.Fatalf("body %q: error %s, decodeData gives %s", body, describe(gotErr), describe(wantErr))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("body %q: decoded %+v, decodeData gives %+v", body, got, want)
		}
	})
}

// describe renders an error with its type and, for API errors, every
// member, so that two errors compare equal only when a client would see
// the same answer.
func describe(err error) string {
	if err == nil {
		return "no error"
	}
	b, _ := json.Marshal(err)
	return fmt.Sprintf("%T %s %s", err, b, err)
}
