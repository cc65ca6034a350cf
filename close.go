package sockjs

// Close codes: the codes of the close frames the server sends, which
// EventClosed carries in Event.Code with the reason in Event.Reason. A
// session closed by the application carries the code given to Conn.Close;
// one closed by a websocket client, the code of the client's close frame.
const (
	// CloseNormal (1000, "Normal closure") is a websocket closed by its
	// client without another code.
	CloseNormal = 1000
	// CloseShutdown (1001, "Server shutting down") is Handler.Shutdown.
	CloseShutdown = 1001
	// CloseInterrupted (1002, "Connection interrupted") is a client that
	// went away: it aborted its receiving request, its websocket dropped,
	// or it made no request for DisconnectDelay ("Session timed out").
	CloseInterrupted = 1002
	// CloseBrokenJSON (1003, "Broken JSON encoding.") is a websocket
	// message that was not a JSON string or array of strings.
	CloseBrokenJSON = 1003
	// CloseInvalidUTF8 (1007, "Invalid UTF-8 in text frame") is a
	// websocket text message that was not valid UTF-8 (RFC 6455 8.1).
	CloseInvalidUTF8 = 1007
	// CloseTooBig (1009, "Message too big") is a websocket message over
	// Options.MaxMessageSize.
	CloseTooBig = 1009
	// CloseServerError (1011, "Internal server error") is a callback that
	// panicked.
	CloseServerError = 1011
	// CloseQueueFull (1013, "Outbound queue full") is a session whose
	// outbound queue went over Options.MaxQueuedBytes.
	CloseQueueFull = 1013
	// CloseAnotherConnection (2010, "Another connection still open")
	// refuses a second receiving request for a session; it does not close
	// the session.
	CloseAnotherConnection = 2010
	// CloseGoAway (3000, "Go away!") is Conn.Close with code 0.
	CloseGoAway = 3000
)

// Reasons of the close codes the server sends on its own.
const (
	reasonNormal      = "Normal closure"
	reasonShutdown    = "Server shutting down"
	reasonInterrupted = "Connection interrupted"
	reasonTimedOut    = "Session timed out"
	reasonBrokenJSON  = "Broken JSON encoding."
	reasonInvalidUTF8 = "Invalid UTF-8 in text frame"
	reasonTooBig      = "Message too big"
	reasonServerError = "Internal server error"
	reasonQueueFull   = "Outbound queue full"
	reasonAnotherConn = "Another connection still open"
	reasonGoAway      = "Go away!"
)
