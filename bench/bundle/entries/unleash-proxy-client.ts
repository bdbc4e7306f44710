// Bundle-size entry: construct the client and ask one flag, as an app would.
import { UnleashClient } from 'unleash-proxy-client'

export const flags = new UnleashClient({
  url: 'https://flags.example.com/api/frontend',
  clientKey: 'bench',
  appName: 'bench',
})
void flags.start()
export const on = flags.isEnabled('checkout-v2')
