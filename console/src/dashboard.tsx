import { Box, Card, CardContent, Grid, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Title } from 'react-admin';
import { call } from './api';
import { age, rupiah } from './format';

interface Stats {
  days: number;
  daily: Array<{ day: string; channel: string; purchases: number; succeeded: number; volume: number; successRate: number }>;
  refunds: { refunds: number; refundedAmount: number; refundRate: number };
  unresolved: {
    waiting: number;
    oldestId: string | null;
    oldestAgeSeconds: number | null;
    pendingApprovals: number;
    oldestApprovalAgeSeconds: number | null;
  };
}

const COLORS = ['#1976d2', '#9c27b0', '#2e7d32', '#ed6c02', '#0288d1'];

/** Stacked bars per day (one colour per channel), drawn as plain SVG. */
function Bars(props: {
  days: string[];
  channels: string[];
  value: (day: string, channel: string) => number;
  format: (n: number) => string;
  label: string;
}) {
  const totals = props.days.map((d) => props.channels.reduce((n, c) => n + props.value(d, c), 0));
  const max = Math.max(1, ...totals);
  const width = 40 * props.days.length + 20;
  return (
    <Box>
      <Typography variant="subtitle1">{props.label}</Typography>
      <svg width={width} height={170} role="img" aria-label={props.label}>
        {props.days.map((day, i) => {
          let y = 140;
          return (
            <g key={day}>
              {props.channels.map((c, j) => {
                const h = (props.value(day, c) / max) * 120;
                y -= h;
                return (
                  <rect key={c} x={10 + i * 40} y={y} width={28} height={h} fill={COLORS[j % COLORS.length]}>
                    <title>{`${day} ${c}: ${props.format(props.value(day, c))}`}</title>
                  </rect>
                );
              })}
              <text x={10 + i * 40} y={158} fontSize={9}>
                {day.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <Typography variant="caption">
        {props.channels.map((c, j) => (
          <span key={c} style={{ color: COLORS[j % COLORS.length], marginRight: 12 }}>
            ■ {c}
          </span>
        ))}
      </Typography>
    </Box>
  );
}

/** Success rate per day and channel, as a table of percentages. */
function Rates({ stats, days, channels }: { stats: Stats; days: string[]; channels: string[] }) {
  const rate = (d: string, c: string) => stats.daily.find((x) => x.day === d && x.channel === c);
  return (
    <table style={{ fontSize: 13, borderCollapse: 'collapse' }}>
      <thead>
        <tr>
          <th style={{ textAlign: 'left', paddingRight: 12 }}>Success rate</th>
          {channels.map((c) => (
            <th key={c} style={{ paddingRight: 12 }}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {days.map((d) => (
          <tr key={d}>
            <td>{d}</td>
            {channels.map((c) => {
              const r = rate(d, c);
              return <td key={c}>{r ? `${Math.round(r.successRate * 100)}% of ${r.purchases}` : '—'}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="caption">{label}</Typography>
        <Typography variant="h5" data-testid={testId}>
          {value}
        </Typography>
      </CardContent>
    </Card>
  );
}

export function Dashboard() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call<Stats>('GET', '/v1/admin/stats?days=14').then(setStats, (e: Error) => setError(e.message));
  }, []);
  if (error) return <Typography color="error">{error}</Typography>;
  if (!stats) return null;
  const days = [...new Set(stats.daily.map((d) => d.day))];
  const channels = [...new Set(stats.daily.map((d) => d.channel))];
  const find = (d: string, c: string) => stats.daily.find((x) => x.day === d && x.channel === c);
  return (
    <Box sx={{ p: 2 }}>
      <Title title="Back office" />
      <Grid container spacing={2} sx={{ mb: 2 }}>
        <Grid size={3}>
          <Figure label="Waiting for a person" value={String(stats.unresolved.waiting)} testId="waiting" />
        </Grid>
        <Grid size={3}>
          <Figure label="Oldest unresolved item" value={age(stats.unresolved.oldestAgeSeconds)} testId="oldest-unresolved" />
        </Grid>
        <Grid size={3}>
          <Figure
            label="Approvals pending"
            value={`${stats.unresolved.pendingApprovals} (oldest ${age(stats.unresolved.oldestApprovalAgeSeconds)})`}
          />
        </Grid>
        <Grid size={3}>
          <Figure
            label={`Refund rate, ${stats.days} days`}
            value={`${(stats.refunds.refundRate * 100).toFixed(1)}% (${stats.refunds.refunds}, ${rupiah(stats.refunds.refundedAmount)})`}
            testId="refund-rate"
          />
        </Grid>
      </Grid>
      {days.length === 0 ? (
        <Typography>No purchases in the last {stats.days} days.</Typography>
      ) : (
        <Grid container spacing={2}>
          <Grid size={6}>
            <Bars
              label="Volume per day (successful purchases)"
              days={days}
              channels={channels}
              value={(d, c) => find(d, c)?.volume ?? 0}
              format={rupiah}
            />
          </Grid>
          <Grid size={6}>
            <Bars label="Purchases per day" days={days} channels={channels} value={(d, c) => find(d, c)?.purchases ?? 0} format={String} />
          </Grid>
          <Grid size={12}>
            <Rates stats={stats} days={days} channels={channels} />
          </Grid>
        </Grid>
      )}
    </Box>
  );
}
