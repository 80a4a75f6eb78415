import type { DeviceReport, ModelStatus } from '../../sdk/index.ts';
import { t } from './i18n.ts';

/** Where models will run: the GPUs found and the device each backend is expected to use. */
export function DeviceView({ device }: { device: DeviceReport | undefined }) {
  if (!device) return null;
  const gpus = device.gpus.length > 0 ? device.gpus.join(', ') : t('noGpu');
  return (
    <div class="device" id="health-device">
      <p>
        {t('computeDevice')}: <strong>{gpus}</strong>
        {device.nvidiaDriver && <span class="muted"> · NVIDIA driver {device.nvidiaDriver}</span>}
      </p>
      <ul class="muted">
        <li>
          {t('deviceGenerators')}: <strong>{device.llama.expected}</strong> ({t('deviceAsked', { asked: device.llama.asked })})
        </li>
        <li>
          {t('deviceEncoders')}: <strong>{device.transformers.expected}</strong> (
          {t('deviceAsked', { asked: device.transformers.asked })})
        </li>
      </ul>
      <p class="muted small">{device.note}</p>
    </div>
  );
}

function missingFiles(model: ModelStatus): string[] {
  const missing = (model as { missing?: unknown }).missing;
  return Array.isArray(missing) ? missing.map(String) : [];
}

/** Each configured model: here or missing, and for a missing one its absent files and how to get it. */
export function ModelsView({ models }: { models: ModelStatus[] | undefined }) {
  if (!models || models.length === 0) return null;
  return (
    <table class="health-models" id="health-models">
      <caption>{t('models')}</caption>
      <tbody>
        {models.map((m) => (
          <tr key={m.role}>
            <th scope="row">{m.role}</th>
            <td>
              <code>{m.ref}</code> <span class="muted">{m.backend}</span>
            </td>
            <td class={m.present ? 'ok' : 'missing'}>{m.present ? t('available') : t('missing')}</td>
            <td>
              {'location' in m && m.location && <div class="muted">{m.location}</div>}
              {missingFiles(m).length > 0 && (
                <div class="muted">
                  {t('missingFiles')}: {missingFiles(m).join(', ')}
                </div>
              )}
              {'get' in m && m.get && (
                <div class="how-to-get">
                  {t('howToGet')}: <code>{m.get}</code>
                </div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
