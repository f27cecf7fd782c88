package cmdutil

import (
	"errors"
	"strings"
	"testing"

	"github.com/pave-go/pave"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseEvent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]pave.EventName{
		"complete": pave.EventComplete, "COMPLETE": pave.EventComplete, "session:complete": pave.EventComplete,
		" SESSION:COMPLETE ": pave.EventComplete, "stage_change": pave.EventStageChange,
		"stage-change":  pave.EventStageChange,
		"Status_Change": pave.EventStatusChange, "sms_process": pave.EventSMSProcess, "note-insert": pave.EventNoteInsert,
	} {
		got, err := ParseEvent(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "done", "SESSION:", "SESSION:DONE", "session_complete"} {
		_, err := ParseEvent(in)
		var se *StatusError
		require.ErrorAs(t, err, &se, in)
		assert.Equal(t, ExitUsage, se.Code, in)
	}
}

func TestFlagHint(t *testing.T) {
	t.Parallel()
	fields := map[string]string{"vehicle.vin": "--vin", "sms.to": "--sms-to", "session_key": "KEY",
		"vehicle.year": "--year"}
	cmd := &cobra.Command{Use: "create KEY"}
	cmd.Flags().String("vin", "", "")
	cmd.Flags().String("sms-to", "", "")
	plain := errors.New("boom")
	assert.Same(t, plain, FlagHint(cmd, plain, fields))
	err := (&pave.CreateSessionRequest{
		Vehicle: &pave.Vehicle{VIN: "X"},
		Options: &pave.SessionOptions{SMS: &pave.SMS{To: "1"}},
	}).Validate()
	require.Error(t, err)
	got := FlagHint(cmd, err, fields)
	require.ErrorIs(t, got, pave.ErrValidation)
	assert.True(t, strings.HasSuffix(got.Error(), "(check --sms-to, --vin)"), got.Error())
	unknown := &pave.ValidationError{Op: "X", Errors: map[string][]string{"elsewhere": {"bad"}}}
	assert.Equal(t, unknown.Error(), FlagHint(cmd, unknown, fields).Error())
	// Only the flags the command has: a field it cannot set is no hint.
	year := &pave.ValidationError{Op: "X", Errors: map[string][]string{"vehicle.year": {"bad"}, "session_key": {"bad"}}}
	assert.True(t, strings.HasSuffix(FlagHint(cmd, year, fields).Error(), "(check KEY)"), FlagHint(cmd, year,
		fields).Error())
	// A field inside another is the other's flag unless it has its own;
	// paths are compared in lower case.
	cmd.Flags().String("header", "", "")
	cmd.Flags().String("secret-env", "", "")
	nested := map[string]string{"headers": "--header", "headers.authorization": "--secret-env"}
	for path, want := range map[string]string{"headers.X-Tenant": "(check --header)",
		"Headers.Authorization": "(check --secret-env)", "headers[0].name": "(check --header)"} {
		err := &pave.ValidationError{Op: "X", Errors: map[string][]string{path: {"bad"}}}
		assert.True(t, strings.HasSuffix(FlagHint(cmd, err, nested).Error(), want), path)
	}
	other := &pave.ValidationError{Op: "X", Errors: map[string][]string{"headersx.y": {"bad"}}}
	assert.Equal(t, other.Error(), FlagHint(cmd, other, nested).Error())
}
