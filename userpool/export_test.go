package userpool

import "context"

// HoldHashSlotForTest takes a hash slot, signals held, and keeps the slot
// until release is closed.
func (s *Service) HoldHashSlotForTest(ctx context.Context, held chan<- struct{}, release <-chan struct{}) error {
	free, err := s.gate.acquire(ctx)
	if err != nil {
		return err
	}
	close(held)
	<-release
	free()
	return nil
}
