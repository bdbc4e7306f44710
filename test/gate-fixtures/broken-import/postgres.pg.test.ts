// The throwaway PostgreSQL in this fixture run: its start and stop are part of the gate's check.
import '../postgres-answers.ts'
