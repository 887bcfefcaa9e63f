package pbx

import "fmt"

// SecretMask stands for a stored secret in every API answer: trunks' digest secrets are
// never sent back. A PUT that carries SecretMask where a secret goes keeps the secret stored
// for that trunk (by name), so a client can send back what it read. The console's own mask
// ("••••••••") is taken the same way.
const SecretMask = "********"

// consoleMask is the mask the administration console shows and may send back.
const consoleMask = "••••••••"

// isMask reports whether s is a masked secret rather than a new one.
func isMask(s string) bool { return s == SecretMask || s == consoleMask }

// masked returns a copy of dp fit for an API answer: each trunk's secret is SecretMask when
// set. dp itself (the running dialplan) is not touched.
func (dp *Dialplan) masked() Dialplan {
	out := *dp
	out.Trunks = make([]Trunk, len(dp.Trunks))
	for i, t := range dp.Trunks {
		if t.Secret != "" {
			t.Secret = SecretMask
		}
		t.prefixes = nil
		out.Trunks[i] = t
	}
	return out
}

// keepSecrets puts back, into each trunk of dp whose secret is a mask, the secret stored for
// the trunk of the same name in old. A mask for a trunk that has no stored secret is an error
// (the new secret was never given).
func (dp *Dialplan) keepSecrets(old *Dialplan) error {
	stored := map[string]string{}
	if old != nil {
		for _, t := range old.Trunks {
			stored[t.Name] = t.Secret
		}
	}
	for i := range dp.Trunks {
		t := &dp.Trunks[i]
		if !isMask(t.Secret) {
			continue
		}
		s := stored[t.Name]
		if s == "" {
			return fmt.Errorf("%w: trunk %q: the secret is masked but no secret is stored for this trunk; send the secret itself", ErrDialplan, t.Name)
		}
		t.Secret = s
	}
	return nil
}
