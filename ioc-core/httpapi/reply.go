package httpapi

import "net/http"

// Reply makes a handler that answers status with the value f returns.
func Reply[Out any](status int, f func(r *http.Request) (Out, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		out, err := f(r)
		if err != nil {
			return err
		}
		WriteJSON(w, status, out)
		return nil
	}
}

// ReplyBody makes a handler that decodes the body into In (strictly, see Decode), calls f and
// answers status with what it returns.
func ReplyBody[In, Out any](status int, f func(r *http.Request, in In) (Out, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if err := Decode(r, &in); err != nil {
			return err
		}
		out, err := f(r, in)
		if err != nil {
			return err
		}
		WriteJSON(w, status, out)
		return nil
	}
}

// NoContent makes a handler that answers 204 when f succeeds.
func NoContent(f func(r *http.Request) error) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := f(r); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
