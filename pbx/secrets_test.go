package pbx

import (
	"errors"
	"testing"
)

func TestDialplanMaskedAndKeepSecrets(t *testing.T) {
	t.Parallel()
	stored := DemoDialplan()
	stored.Trunks = append(stored.Trunks, Trunk{Name: "carrier", Username: "c1", Secret: "s3cret-1",
		DIDs: []DID{{Number: "19001022", Menu: "main"}}})
	if err := stored.Validate(); err != nil {
		t.Fatal(err)
	}
	m := stored.masked()
	if m.Trunks[1].Secret != SecretMask || m.Trunks[0].Secret != "" {
		t.Fatalf("masked trunks: %+v", m.Trunks)
	}
	if stored.Trunks[1].Secret != "s3cret-1" {
		t.Fatal("masking changed the running dialplan")
	}
	tests := []struct {
		name    string
		secret  string
		trunk   string
		want    string
		wantErr bool
	}{
		{name: "API mask keeps the stored secret", secret: SecretMask, trunk: "carrier", want: "s3cret-1"},
		{name: "console mask keeps the stored secret", secret: consoleMask, trunk: "carrier", want: "s3cret-1"},
		{name: "a new secret replaces it", secret: "n3w-secret", trunk: "carrier", want: "n3w-secret"},
		{name: "mask of a renamed trunk has nothing to keep", secret: SecretMask, trunk: "renamed", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dp := stored.masked()
			dp.Trunks[1].Secret, dp.Trunks[1].Name = tc.secret, tc.trunk
			err := dp.keepSecrets(&stored)
			if tc.wantErr {
				if !errors.Is(err, ErrDialplan) {
					t.Fatalf("err %v, want ErrDialplan", err)
				}
				return
			}
			if err != nil || dp.Trunks[1].Secret != tc.want {
				t.Fatalf("secret %q err %v, want %q", dp.Trunks[1].Secret, err, tc.want)
			}
		})
	}
}
