// Bundle-size entry: construct the client and ask one flag, as an app would.
import { createClient } from '../../../sdk/browser.ts'

export const flags = createClient({
  url: 'https://flags.example.com',
  key: 'cf_client_bench',
  user: { userId: 'u1' },
})
export const on = flags.isEnabled('checkout-v2')
