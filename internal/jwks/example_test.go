package jwks_test

import (
	"fmt"

	"github.com/medscribe/medscribe/internal/jwks"
)

func ExampleParse() {
	set := []byte(`{"keys":[
	  {"kty":"EC","crv":"P-256","kid":"ehr-1","use":"sig",
	   "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
	  {"kty":"RSA","kid":"enc-1","use":"enc","n":"AQAB","e":"AQAB"},
	  {"kty":"oct","kid":"sym","k":"c2VjcmV0"}]}`)
	keys, skipped, err := jwks.Parse(set)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(keys), "usable,", skipped, "skipped")
	fmt.Println(keys[0].KID, keys[0].Fits("ES256"), keys[0].Fits("ES384"), keys[0].Fits("RS256"))
	// Output:
	// 1 usable, 2 skipped
	// ehr-1 true false false
}
