package refserver

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStart(t *testing.T) {
	base := Start(t, Options{})
	resp, err := http.Get(base + "/echo")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "Welcome to SockJS!\n", string(b))

	resp, err = http.Post(base+"/echo/000/abc/xhr", "text/plain", strings.NewReader(""))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "o\n", string(b))
}
