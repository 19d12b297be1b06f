package userpool

// Messages that carry codes and temporary passwords: rendered from the
// pool's templates ({####} is the code, {username} the username) and handed
// to the one message.Sender (SMTP, a webhook, or the development outbox).
// The code is stored before the message goes out, so a failed delivery
// loses nothing: the user asks for a new one.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
)

// CodeDelivery says where a code went (Cognito's CodeDeliveryDetails).
type CodeDelivery struct {
	Destination    string `json:"Destination"`
	DeliveryMedium string `json:"DeliveryMedium"`
	AttributeName  string `json:"AttributeName"`
}

// Sending limits: how many codes a user may be sent per window.
const (
	maxSendsPerWindow = 5
	sendWindow        = time.Hour
)

// destination is where a message to a user goes: an attribute and its
// value, and the channel.
type destination struct {
	attr    string
	value   string
	channel message.Channel
}

func (d destination) delivery() *CodeDelivery {
	medium := "EMAIL"
	if d.channel == message.SMS {
		medium = "SMS"
	}
	return &CodeDelivery{Destination: mask(d.value), DeliveryMedium: medium, AttributeName: d.attr}
}

// destinationFor is the destination of an attribute's value.
func destinationFor(attr, value string) destination {
	ch := message.Email
	if attr == attrPhone {
		ch = message.SMS
	}
	return destination{attr: attr, value: value, channel: ch}
}

// mask hides most of an address the way Cognito does (a***@e***,
// +*******1234).
func mask(v string) string {
	if at := strings.IndexByte(v, '@'); at > 0 && at+1 < len(v) {
		return v[:1] + "***@" + v[at+1:at+2] + "***"
	}
	if len(v) > 4 {
		return "+*******" + v[len(v)-4:]
	}
	return "***"
}

// render fills a template's placeholders.
func render(tmpl, code, username string) string {
	return strings.NewReplacer("{####}", code, "{username}", username).Replace(tmpl)
}

// sendCode renders the pool's verification message for code and sends it
// to d. The send is counted against the user's sending limit first
// (KindLimitExceeded past it).
func (s *Service) sendCode(ctx context.Context, p *Pool, u *store.User, d destination, kind message.Kind, code string) error {
	if err := s.countSend(ctx, u); err != nil {
		return err
	}
	t := p.Config.VerificationMessageTemplate
	return s.sendMessage(ctx, p, u, d, kind, code, templates{Subject: t.EmailSubject, Email: t.EmailMessage, SMS: t.SmsMessage})
}

// sendMessage is where every message with a code goes out: the pool's
// CustomMessage function may replace the templates t (triggers_message.go),
// then the code and the username are filled in and the message delivered.
func (s *Service) sendMessage(ctx context.Context, p *Pool, u *store.User, d destination, kind message.Kind, code string, t templates) error {
	if err := s.customMessage(ctx, p, u, kind, d.channel, &t); err != nil {
		return err
	}
	shown := signInName(p, u, d)
	m := message.Message{PoolID: p.ID, Username: u.Username, Destination: d.value, Channel: d.channel, Kind: kind, Code: code,
		Subject: t.Subject, Body: render(t.Email, code, shown)}
	if d.channel == message.SMS {
		m.Subject, m.Body = "", render(t.SMS, code, shown)
	}
	return s.deliver(ctx, m)
}

// signInName is what {username} shows: the name the user signs in with.
// In a pool with UsernameAttributes that is not the generated username but
// the e-mail address or phone number: the one the message goes to when it
// is a sign-in attribute, else the first sign-in attribute the user has.
func signInName(p *Pool, u *store.User, d destination) string {
	attrs := p.Config.UsernameAttributes
	if len(attrs) == 0 {
		return u.Username
	}
	if slices.Contains(attrs, d.attr) && u.Attributes[d.attr] != "" {
		return u.Attributes[d.attr]
	}
	for _, a := range attrs {
		if v := u.Attributes[a]; v != "" {
			return v
		}
	}
	return u.Username
}

// sendInvitation sends AdminCreateUser's invitation with the temporary
// password.
func (s *Service) sendInvitation(ctx context.Context, p *Pool, u *store.User, d destination, temp string) error {
	t := p.Config.AdminCreateUserConfig.InviteMessageTemplate
	return s.sendMessage(ctx, p, u, d, message.KindInvitation, temp,
		templates{Subject: t.EmailSubject, Email: t.EmailMessage, SMS: t.SMSMessage})
}

// deliver hands a message to the sender. No sender, or none for the
// channel: KindDeliveryFailed. A queue that is full: the same, so the
// caller knows to ask again later.
func (s *Service) deliver(ctx context.Context, m message.Message) error {
	if s.sender == nil {
		return errorf(KindDeliveryFailed, "Unable to deliver the message: no message sender is configured for %s", m.Channel)
	}
	err := s.sender.Send(ctx, m)
	switch {
	case err == nil:
		s.log.Info("message sent", "pool", m.PoolID, "kind", string(m.Kind), "channel", string(m.Channel))
		return nil
	case errors.Is(err, message.ErrNoRoute):
		return errorf(KindDeliveryFailed, "Unable to deliver the message: no message sender is configured for %s", m.Channel)
	default:
		s.log.Warn("message not sent", "pool", m.PoolID, "kind", string(m.Kind), "channel", string(m.Channel), "err", err)
		return errorf(KindDeliveryFailed, "Unable to deliver the message; try again later")
	}
}

// countSend counts a code sent to the user against the sending limit.
func (s *Service) countSend(ctx context.Context, u *store.User) error {
	return s.countSendTo(ctx, "send\x00"+u.PoolID+"\x00"+u.Sub)
}

// unknownSendKey is the sending limit's key of a name no user has (a NUL
// keeps it apart from every user's).
func unknownSendKey(p *Pool, name string) string {
	return "send\x00" + p.ID + "\x00\x00" + usernameKey(p, name)
}

// countSendTo counts a send under key against the sending limit.
func (s *Service) countSendTo(ctx context.Context, key string) error {
	now := s.now()
	err := s.throttles.UpdateThrottle(ctx, key, func(st *store.Throttle) error {
		if now.Sub(st.Since) >= sendWindow {
			st.Count, st.Since = 0, now
		}
		if st.Count >= maxSendsPerWindow {
			return &Error{Kind: KindLimitExceeded, Cause: CauseCodeAttemptsExceeded, RetryAfter: st.Since.Add(sendWindow).Sub(now)}
		}
		st.Count++
		st.UpdatedAt = now
		return nil
	})
	return internal("count sends", err)
}

// verificationDestination is where a sign-up code goes: the first
// auto-verified attribute the user has, or none.
func verificationDestination(p *Pool, attrs map[string]string) (destination, bool) {
	for _, a := range p.Config.AutoVerifiedAttributes {
		if v := attrs[a]; v != "" {
			return destinationFor(a, v), true
		}
	}
	return destination{}, false
}

// recoveryDestination is where a password-reset code goes: the first
// verified channel of the pool's account recovery setting.
func recoveryDestination(p *Pool, attrs map[string]string) (destination, bool) {
	for _, a := range p.Config.recoveryChannels() {
		if v := attrs[a]; v != "" && attrs[a+"_verified"] == "true" {
			return destinationFor(a, v), true
		}
	}
	return destination{}, false
}
